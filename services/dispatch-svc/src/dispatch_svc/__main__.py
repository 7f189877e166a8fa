from dispatch_svc.app import SERVICE, create_app
from reengage_common.service import serve
from reengage_common.settings import load_settings


def main() -> None:
    settings = load_settings(SERVICE)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
