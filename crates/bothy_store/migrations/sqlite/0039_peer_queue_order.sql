-- The moderation queue is read risk first, then oldest, then by id
-- (`Tx::peer_queue`): ORDER BY priority DESC, queued_at, id. The index of
-- migration 30 held priority and queued_at in the same direction, so every
-- read of the queue's first page read and sorted the whole queue. This one
-- is in the order read, so a page is the first rows of the range.
DROP INDEX peer_posts_queue;
CREATE INDEX peer_posts_queue ON peer_posts (service_id, priority DESC, queued_at, id)
    WHERE needs_review = 1;
