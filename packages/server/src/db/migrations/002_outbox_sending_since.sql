-- set just before a send goes to Telegram, cleared when its outcome is recorded: a row claimed again
-- with it still set was cut off mid-send (the worker died) and may already have been delivered
alter table outbox add column sending_since timestamptz;
