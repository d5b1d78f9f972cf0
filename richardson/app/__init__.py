"""The applications on top of every stage: the command line (:mod:`.cli`), the demo job
(:mod:`.demo`) and its report (:mod:`.report`)."""
