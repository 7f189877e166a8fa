from gateway.app import SERVICE, create_app
from reengage_common.service import serve
from reengage_common.settings import Settings, settings_or_exit


def main() -> None:
    settings = settings_or_exit(Settings, service=SERVICE)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
