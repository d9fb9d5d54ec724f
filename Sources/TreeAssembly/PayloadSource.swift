import Archive

/// Entries and their data, one after the other: a libarchive reader, or rpm's stripped cpio.
protocol PayloadSource {
    /// The next entry, or nil at the end.
    func nextEntry() throws -> ArchiveEntry?
    /// Streams the current entry's data; returns the byte count.
    @discardableResult
    func readData(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64
}

extension ArchiveReader: PayloadSource {}
