-- A Telegram update is acted on once, and now also at least once. The claim alone used to mean
-- "handled": a process killed while handling an update (kill -9, a crash) left the claim, Telegram
-- delivered the unconfirmed update again to the next process, and that one ignored it (issue 16:
-- "ignored /start once" after a restart). A claim is now unfinished until the handling ends;
-- a re-delivered update whose claim never finished is claimed again. Rows from before were handled.
alter table processed_updates add column done boolean not null default true;
alter table processed_updates alter column done set default false;
