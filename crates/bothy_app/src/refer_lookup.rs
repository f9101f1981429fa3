//! Finding the services that cover a postcode, for the self-referral's
//! first page.

use crate::AppError;
use crate::referrals::Referrals;
use bothy_domain::identifiers::UkPostcode;
use bothy_domain::model::Service;

impl Referrals<'_> {
    /// Services covering `postcode`: those listing its district (e.g. "EH1")
    /// or its area (e.g. "EH"). A postcode that is not valid is a field error.
    pub async fn services_for_postcode(&self, postcode: &str) -> Result<Vec<Service>, AppError> {
        let postcode =
            UkPostcode::parse(postcode).map_err(|e| AppError::field("postcode", e.to_string()))?;
        let mut tx = self.app.store.read().await?;
        let ids = tx
            .services_for_area(postcode.outward(), postcode.area())
            .await?;
        let services = tx.list_services().await?;
        tx.rollback().await?;
        Ok(services
            .into_iter()
            .filter(|s| ids.contains(&s.id))
            .collect())
    }
}
