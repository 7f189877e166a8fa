from campaign_svc.app import create_app
from campaign_svc.config import CampaignSettings
from reengage_common.service import serve


def main() -> None:
    settings = CampaignSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
