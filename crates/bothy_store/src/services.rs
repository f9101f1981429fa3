use crate::db::Row;
use crate::{StoreError, Tx};
use bothy_domain::ServiceId;
use bothy_domain::model::{Service, ServiceSlug};
use bothy_domain::time::{from_millis, to_millis};

pub(crate) fn parse<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::corrupt(format!("{what} {s:?}")))
}

fn service(row: &Row) -> Result<Service, StoreError> {
    Ok(Service {
        id: parse(&row.try_get::<String>("id")?, "service id")?,
        slug: ServiceSlug::parse(&row.try_get::<String>("slug")?).map_err(StoreError::corrupt)?,
        name: row.try_get("name")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

impl Tx {
    pub async fn insert_service(&mut self, s: &Service) -> Result<(), StoreError> {
        self.query("INSERT INTO services (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(s.id.to_string())
            .bind(s.slug.as_str())
            .bind(&s.name)
            .bind(to_millis(s.created_at))
            .execute()
            .await?;
        Ok(())
    }

    pub async fn service_by_slug(&mut self, slug: &str) -> Result<Option<Service>, StoreError> {
        let row = self
            .query("SELECT id, slug, name, created_at FROM services WHERE slug = $1")
            .bind(slug)
            .fetch_optional()
            .await?;
        row.as_ref().map(service).transpose()
    }

    pub async fn service_by_id(&mut self, id: ServiceId) -> Result<Option<Service>, StoreError> {
        let row = self
            .query("SELECT id, slug, name, created_at FROM services WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(service).transpose()
    }

    pub async fn list_services(&mut self) -> Result<Vec<Service>, StoreError> {
        let rows = self
            .query("SELECT id, slug, name, created_at FROM services ORDER BY name")
            .fetch_all()
            .await?;
        rows.iter().map(service).collect()
    }
}
