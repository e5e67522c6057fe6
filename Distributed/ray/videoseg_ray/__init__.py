"""videoseg-ray: `videoseg batch` across a Ray cluster.

The driver keeps one warm worker per CPU slot: a Ray actor holding a long-lived
`videoseg batch --serve` on its node, which prepares the model with its first video and keeps it.
Videos go to free workers one at a time. The naming of outputs, the locks, the done-records and the
skipping of finished videos stay in one place (the Swift batch), so a cluster run and a local
`videoseg batch` write the same files and accept each other's done-records.
"""

__version__ = "0.2.0"
