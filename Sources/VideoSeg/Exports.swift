// The library's public API is the layers' public API: one import for a program that uses it.
@_exported import VideoSegBatch
@_exported import VideoSegCore
@_exported import VideoSegMedia
@_exported import VideoSegModel
@_exported import VideoSegOutput
@_exported import VideoSegPipeline
@_exported import VideoSegRender
