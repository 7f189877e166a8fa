from reengage_common.service import serve
from reengage_common.settings import settings_or_exit
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings


def main() -> None:
    settings = settings_or_exit(TrackingSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
