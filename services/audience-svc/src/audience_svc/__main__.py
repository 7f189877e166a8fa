from audience_svc.app import create_app
from audience_svc.config import AudienceSettings
from reengage_common.service import serve


def main() -> None:
    settings = AudienceSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
