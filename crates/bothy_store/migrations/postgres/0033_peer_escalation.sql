-- Issue 17: a post past its moderation deadline is escalated once, like an
-- overdue alert. `escalated_at` is set by a guarded write (WHERE
-- escalated_at IS NULL) so that of two workers one escalates; it is cleared
-- when a reviewed post is queued again (a report), which starts a new
-- deadline.
ALTER TABLE peer_posts ADD COLUMN escalated_at BIGINT;
CREATE INDEX peer_posts_to_escalate ON peer_posts (deadline)
    WHERE needs_review = 1 AND escalated_at IS NULL;
