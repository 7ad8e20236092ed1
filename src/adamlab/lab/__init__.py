"""Running, timing and drawing experiments.

- :mod:`.trajectory`: run an optimizer on a landscape and keep its path;
- :mod:`.schedules`: learning-rate schedules as pure functions of the step;
- :mod:`.training`: a small training loop for torch models; :mod:`.devices`: CUDA, MPS or CPU;
- :mod:`.plotting`, :mod:`.animation`: paths on contour plots, as figures and animations;
- :mod:`.stepbench`: the Adam step timed against the memory-bandwidth ideal;
- :mod:`.zero_demo`: ZeRO stage 1 on several processes; :mod:`.fsdp_demo`: FSDP2 (``fully_shard``) beside it;
- :mod:`.explorer`: the Python twin of the book's in-browser explorer; :mod:`.lr_range`: the learning-rate range test;
- :mod:`.runconfig`: the base seed and size of a book run (``ADAMLAB_SEED``, ``ADAMLAB_LARGE``).
"""
