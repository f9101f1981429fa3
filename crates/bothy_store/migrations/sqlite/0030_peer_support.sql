-- Issue 17: moderated peer support (bothy_domain::peer, docs/peer-support.md).
--
-- A group belongs to one service. `hours` is its moderation hours as JSON
-- in the alerts' opening-hours format. A closed group is joined with its
-- `invite_code`.
CREATE TABLE peer_groups (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('open', 'programme', 'closed')),
    programme TEXT,
    description TEXT NOT NULL,
    rules TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('pre', 'post')),
    hours TEXT NOT NULL,
    links_allowed BIGINT NOT NULL,
    outside_hours TEXT NOT NULL CHECK (outside_hours IN ('read_only', 'pre_moderated')),
    invite_code TEXT,
    created_by TEXT REFERENCES staff (id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX peer_groups_by_name ON peer_groups (service_id, name);

-- A person's membership of a group, under the group name they chose.
-- Group names are unique per group, compared folded (`pseudonym_key`), so
-- that two members never look alike in one group; one person may use the
-- same name in several groups. `suspended_until` stops posting until then.
CREATE TABLE peer_members (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES peer_groups (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    pseudonym TEXT NOT NULL,
    pseudonym_key TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    suspended_until BIGINT
);
CREATE UNIQUE INDEX peer_members_one_per_group ON peer_members (group_id, patient_id);
CREATE UNIQUE INDEX peer_members_by_pseudonym ON peer_members (group_id, pseudonym_key);
CREATE INDEX peer_members_by_patient ON peer_members (patient_id);

-- Posts and replies (`parent_id`). `status` moves by guarded writes on the
-- status and review mark a moderator saw; `needs_review` puts a post in
-- the queue, ordered by `priority` (higher first) then `queued_at`.
-- `idempotency_key` is the post form's key, unique per member, so a
-- double-tapped form stores one post.
CREATE TABLE peer_posts (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES peer_groups (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    member_id TEXT NOT NULL REFERENCES peer_members (id),
    parent_id TEXT REFERENCES peer_posts (id),
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held', 'visible', 'hidden', 'removed')),
    needs_review BIGINT NOT NULL,
    priority BIGINT NOT NULL,
    hold_reasons TEXT NOT NULL,
    risk TEXT,
    queued_at BIGINT,
    deadline BIGINT,
    created_at BIGINT NOT NULL,
    reviewed_at BIGINT,
    reviewed_by TEXT REFERENCES staff (id),
    status_reason TEXT,
    edit_note TEXT,
    report_count BIGINT NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL
);
CREATE UNIQUE INDEX peer_posts_by_key ON peer_posts (member_id, idempotency_key);
CREATE INDEX peer_posts_page ON peer_posts (group_id, created_at, id);
CREATE INDEX peer_posts_by_member ON peer_posts (member_id, created_at);
CREATE INDEX peer_posts_queue ON peer_posts (service_id, priority, queued_at) WHERE needs_review = 1;
CREATE INDEX peer_posts_replies ON peer_posts (parent_id, created_at) WHERE parent_id IS NOT NULL;

-- Supportive reactions, one of each kind per member and post.
CREATE TABLE peer_reactions (
    post_id TEXT NOT NULL REFERENCES peer_posts (id),
    member_id TEXT NOT NULL REFERENCES peer_members (id),
    reaction TEXT NOT NULL CHECK (reaction IN ('support', 'hug', 'same_here', 'thanks')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, member_id, reaction)
);

-- A member's report of a post, one per member and post.
CREATE TABLE peer_reports (
    id TEXT PRIMARY KEY,
    post_id TEXT NOT NULL REFERENCES peer_posts (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    member_id TEXT NOT NULL REFERENCES peer_members (id),
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX peer_reports_one_per_member ON peer_reports (post_id, member_id);
CREATE INDEX peer_reports_by_service ON peer_reports (service_id, created_at);

-- Every moderation action with the moderator's reason (also in the audit
-- trail, with ids only): the figures are counted from here.
CREATE TABLE peer_actions (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    post_id TEXT REFERENCES peer_posts (id),
    member_id TEXT NOT NULL REFERENCES peer_members (id),
    staff_id TEXT NOT NULL REFERENCES staff (id),
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX peer_actions_by_service ON peer_actions (service_id, created_at);
CREATE INDEX peer_actions_by_post ON peer_actions (post_id, created_at);

-- A moderator's private note to a member, shown only to them.
CREATE TABLE peer_notes (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES peer_members (id),
    staff_id TEXT NOT NULL REFERENCES staff (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX peer_notes_by_member ON peer_notes (member_id, created_at);
