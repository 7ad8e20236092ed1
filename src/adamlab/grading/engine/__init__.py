"""The checking engine: one kind of check (:class:`.probes.Probe`), built from step-function specs
(:mod:`.steps`) or plain-function specs (:mod:`.functions`); one message formatter (:mod:`.messages`);
one transport to the confirmation run (:mod:`.transport`). Nothing here knows any exercise."""
