from reengage_common.service import serve
from reengage_common.settings import settings_or_exit
from tracking_svc.app import create_app
from tracking_svc.config import TrackingSettings
from tracking_svc.ports import serves_public


def main() -> None:
    settings = settings_or_exit(TrackingSettings)
    public = [settings.public_port] if serves_public(settings) else []
    serve(create_app(settings), settings, extra_ports=public)


if __name__ == "__main__":
    main()
