from reengage_common.service import serve
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings


def main() -> None:
    settings = TrackingSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
