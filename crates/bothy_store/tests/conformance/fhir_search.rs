//! A response search with its total: the page and the count of every match
//! come from one statement, and agree with the page alone and the count
//! alone on every page, the empty one past the end included.

use crate::summaries::insert_response;
use crate::{Fresh, both};
use bothy_domain::model::MeasureResponse;
use bothy_store::{ResponseOrder, ResponseSearch, Tx};

both!(a_counted_page_is_the_page_with_the_count_of_every_page);

/// The page and its total both ways: in one statement, and apart.
async fn both_ways(tx: &mut Tx, q: &ResponseSearch) -> (Vec<MeasureResponse>, i64) {
    let (page, total) = tx.search_responses_counted(q).await.unwrap();
    let apart = tx.search_responses(q).await.unwrap();
    let ids = |rows: &[MeasureResponse]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&page), ids(&apart), "the same page, in the same order");
    assert_eq!(
        total,
        tx.count_responses(q).await.unwrap(),
        "the same count"
    );
    (page, total)
}

async fn a_counted_page_is_the_page_with_the_count_of_every_page(db: &Fresh) {
    let (service, patients) = db.service_with_patients(3).await;
    let mut tx = db.store.begin().await.unwrap();
    for minute in 1..=5 {
        insert_response(
            &mut tx,
            service,
            patients[0],
            "phq9",
            minute,
            9.0,
            minute as usize,
        )
        .await;
    }
    insert_response(&mut tx, service, patients[0], "gad7", 6, 4.0, 6).await;
    insert_response(&mut tx, service, patients[1], "phq9", 7, 3.0, 7).await;
    tx.commit().await.unwrap();

    let mut tx = db.store.reader().await.unwrap();
    let mut q = ResponseSearch {
        service: Some(service),
        patient: Some(patients[0]),
        instruments: Some(vec![("phq9".into(), None)]),
        order: ResponseOrder::AuthoredNewest,
        limit: 3,
        ..Default::default()
    };
    let minutes = |rows: &[MeasureResponse]| {
        rows.iter()
            .map(|r| (r.submitted_at.as_second() - crate::at(0).as_second()) / 60)
            .collect::<Vec<_>>()
    };
    let (first, total) = both_ways(&mut tx, &q).await;
    assert_eq!((minutes(&first), total), (vec![5, 4, 3], 5));
    q.after = Some(q.order.position(&first[2]));
    let (second, total) = both_ways(&mut tx, &q).await;
    assert_eq!((minutes(&second), total), (vec![2, 1], 5));
    q.after = Some(q.order.position(&second[1]));
    let (past_the_end, total) = both_ways(&mut tx, &q).await;
    assert_eq!(
        (past_the_end.len(), total),
        (0, 5),
        "an empty page keeps its count"
    );

    // Oldest first, every instrument: the other patient's is left out.
    q.after = None;
    q.instruments = None;
    q.order = ResponseOrder::ReceivedOldest;
    let (oldest, total) = both_ways(&mut tx, &q).await;
    assert_eq!((minutes(&oldest), total), (vec![1, 2, 3], 6));

    // Nobody's responses, and a search that cannot match.
    q.patient = Some(patients[2]);
    assert_eq!(both_ways(&mut tx, &q).await.1, 0);
    q.instruments = Some(Vec::new());
    assert_eq!(
        tx.search_responses_counted(&q).await.unwrap().1,
        0,
        "no instrument wanted"
    );
    tx.rollback().await.unwrap();
}
