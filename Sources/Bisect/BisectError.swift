/// A bisect that cannot start or go on, naming the commit, test or candidate at fault.
public struct BisectError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
