"""Settings of the audit module (imported into zhengtong.settings; names are upper-case)."""

from zhengtong.conf import env_int

# The worker's sequencer pauses this long (milliseconds) after each turn; a turn sequences everything
# queued. Shorter: less lag, more and smaller batches (each with its fixed statements).
AUDIT_SEQUENCER_INTERVAL_MS = env_int("AUDIT_SEQUENCER_INTERVAL_MS", 250, minimum=50)
# A new signed tree head at most this often (when the log grew).
AUDIT_HEAD_INTERVAL_SECONDS = env_int("AUDIT_HEAD_INTERVAL_SECONDS", 10, minimum=1)
# Anonymous reads of tree heads and consistency proofs per client address per minute.
AUDIT_PUBLIC_PER_MINUTE = env_int("AUDIT_PUBLIC_PER_MINUTE", 120, minimum=1)
