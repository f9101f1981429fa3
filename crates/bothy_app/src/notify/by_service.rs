//! Routing by service: a deployment may send some services' messages by a
//! channel of their own (GOV.UK Notify, which NHS bodies use and charities
//! cannot) and every other message as before.

use super::{Notifier, OutgoingMessage, SendFuture};
use bothy_domain::ServiceId;
use std::collections::HashMap;
use std::sync::Arc;

/// Sends each message by its service's notifier when it has one, otherwise
/// (and a message of no service) by `default`.
pub struct ByService {
    pub services: HashMap<ServiceId, Arc<dyn Notifier>>,
    pub default: Arc<dyn Notifier>,
}

impl Notifier for ByService {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a> {
        match message.service.and_then(|s| self.services.get(&s)) {
            Some(notifier) => notifier.send(message),
            None => self.default.send(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::IdempotencyKey;
    use crate::notify::{Channel, MemoryOutbox};

    fn message(service: Option<ServiceId>) -> OutgoingMessage {
        OutgoingMessage {
            idempotency_key: IdempotencyKey::new(format!("k.{}", uuid::Uuid::new_v4().simple()))
                .unwrap(),
            channel: Channel::Sms,
            to: "+447700900123".into(),
            subject: None,
            body: "b".into(),
            html: None,
            sender_name: "Demo".into(),
            created_at: "2026-11-17T10:00:00Z".parse().unwrap(),
            service,
            attachment: None,
        }
    }

    #[tokio::test]
    async fn a_listed_service_goes_by_its_own_notifier_and_the_rest_by_default() {
        let (own, default) = (MemoryOutbox::new(), MemoryOutbox::new());
        let listed = ServiceId::random();
        let router = ByService {
            services: [(listed, Arc::new(own.clone()) as Arc<dyn Notifier>)].into(),
            default: Arc::new(default.clone()),
        };
        router.send(&message(Some(listed))).await.unwrap();
        router
            .send(&message(Some(ServiceId::random())))
            .await
            .unwrap();
        router.send(&message(None)).await.unwrap();
        assert_eq!((own.sent().len(), default.sent().len()), (1, 2));
        assert_eq!(own.sent()[0].service, Some(listed));
    }
}
