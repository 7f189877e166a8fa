from dispatch_svc.app import create_app
from dispatch_svc.config import DispatchSettings
from reengage_common.service import serve
from reengage_common.settings import settings_or_exit


def main() -> None:
    settings = settings_or_exit(DispatchSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
