"""The store: the Chroma collection (`collection`, the only code that talks to Chroma) with its errors, and what it
keeps in memory beside it: the exact vector index (`exact`, with its 4-bit first pass in `coarse`) and the keyword
index (`keyword_index`); `writer_lock` lets one process write an embedded store at a time."""
