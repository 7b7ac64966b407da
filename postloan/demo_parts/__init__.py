"""The demo world's pieces for issue #19's parts (screening, the limit's life, programme changes, provider
conflicts), each added after the book is built by ``seed_demo``; every function is idempotent."""
