// The fields the editor loads a campaign with (a fragment, so the types follow the schema).
import { graphql } from "../gql";

export const CampaignFields = graphql(`
  fragment CampaignFields on Campaign {
    name
    description
    savedAudienceId
    targeting {
      inactiveDays
      treatmentStages
      includeNoShows
      includeDropouts
      excludeRecentContact
      excludeContactDays
      recall { dueSince overdueByMonths maxOverdueMonths }
    }
    channels
    defaultLanguage
    channelFallback { channel to subject body }
    groupHouseholds
    messageTemplates { channel subject body sequence delayDays variant translations { language subject body } }
    variants { name weight }
    holdoutPercent
    schedule { startDate endDate sendTimes timezone }
    incentive { hasIncentive incentiveDetails incentiveCode incentiveCostCents }
  }
`);
