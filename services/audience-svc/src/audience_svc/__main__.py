from audience_svc.app import create_app
from audience_svc.config import AudienceSettings
from reengage_common.service import serve
from reengage_common.settings import settings_or_exit


def main() -> None:
    settings = settings_or_exit(AudienceSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
