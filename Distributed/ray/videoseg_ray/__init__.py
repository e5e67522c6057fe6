"""videoseg-ray: `videoseg batch` across a Ray cluster.

The driver sends one Ray task per video; each task runs the `videoseg` binary installed on its
node as `videoseg batch --shard i/N`, so the naming of outputs, the done-records and the skipping
of finished videos stay in one place (the Swift batch), and a cluster run and a local
`videoseg batch` write the same files and accept each other's done-records.
"""

__version__ = "0.1.0"
