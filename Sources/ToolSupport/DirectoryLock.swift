import Foundation

/// An exclusive lock on a directory held by one process at a time (`flock` on a file in it),
/// so that two runs sharing a cache or state directory take turns instead of interleaving.
public final class DirectoryLock {
    private let descriptor: Int32

    /// Takes the lock, waiting (and saying so) while another process holds it.
    public init(directory: String, purpose: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            Console.progress("Waiting for another \(purpose) using \(directory)")
            guard flock(descriptor, LOCK_EX) == 0 else {
                close(descriptor)
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        }
    }

    deinit { close(descriptor) }
}
