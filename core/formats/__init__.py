"""Standard annotation formats in and out: COCO instance segmentation, YOLO segmentation, label TIFFs.

How a workspace label map becomes annotations (``core.formats.objects``):

- A label map holds ids 1..K, each with a name. By default (``instances="labels"``) **each id is one object**
  (one COCO annotation, one YOLO line, one id in the instance TIFF) and its **category is its name without a
  trailing instance number**: "cell 1", "cell 2" -> category "cell"; the Segment panel's "object 3" ->
  "object"; "tumour" -> "tumour". This is what click segmentation, imports and instance splitting write.
- A U-Net writes a *class* map (id = class, many objects per id). Export it with ``instances="components"``
  (each connected region of a class is an object) or ``instances="watershed"`` (touching objects separated,
  ``min_distance`` apart; see ``core.segmentation.instances``): the category is then the class's name (or
  "class K"), the objects are named "<class> 1", "<class> 2", ...
- Category ids are 1..C in name order (``labels``) or the class ids (split modes), unless a fixed category
  list is given, which keeps ids stable between exports of different selections.

Importing does the reverse: each annotation (or YOLO line) becomes one label id (at most 255 per image, the
limit of an 8-bit label map), named "<category> <n>" unless the file carries the studio's own names.
"""
