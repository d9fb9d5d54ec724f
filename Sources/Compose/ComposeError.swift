/// A compose that cannot go on, with a message naming the treefile, key, repository or
/// package at fault. Nothing was committed and no ref moved.
public struct ComposeError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
