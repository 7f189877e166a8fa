from dispatch_svc.app import create_app
from dispatch_svc.config import DispatchSettings
from reengage_common.service import serve


def main() -> None:
    settings = DispatchSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
