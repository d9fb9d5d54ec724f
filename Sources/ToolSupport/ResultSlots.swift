import Foundation

/// One result slot per parallel task, filled from several threads.
public final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Value, any Error>?]

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public subscript(index: Int) -> Result<Value, any Error>? {
        get { lock.withLock { slots[index] } }
        set { lock.withLock { slots[index] = newValue } }
    }

    /// The values in order, or the first error (by index).
    public func values() throws -> [Value] {
        try lock.withLock { try slots.map { try $0!.get() } }
    }
}
