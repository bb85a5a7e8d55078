-- A version per asset row, raised by every committed change to the asset or
-- to its proposal awaiting review: ETag / If-Match, reviewers' approvals of
-- what they saw, and the index applying changes in commit order.
ALTER TABLE assets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
