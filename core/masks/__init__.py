"""Reading a folder of masks as one dataset: survey every file's values (``values``), decide the dataset's
encoding and classes once (``decision``), then read each file with that decision (``reading``).
``survey`` is the job that ties them together; ``core.maskio`` reads a single file the same way."""
