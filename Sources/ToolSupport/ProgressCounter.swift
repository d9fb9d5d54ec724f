import Foundation

/// Counts finished items of a long job from any thread and prints a progress line now and
/// then (every item for short jobs, every twentieth for long ones, and the last).
public final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let label: String
    private var done = 0

    public init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    /// Records one finished item, named in the line when one is printed.
    public func advance(_ item: String) {
        let count = lock.withLock { () -> Int in
            done += 1
            return done
        }
        if total <= 20 || count % 20 == 0 || count == total {
            Console.progress("\(label) \(count)/\(total) \(item)")
        }
    }
}
