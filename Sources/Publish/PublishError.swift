/// Why publishing, certifying or promoting refused or failed.
public struct PublishError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bad input: a ref, key, file or policy named by the user.
        case invalidInput
        /// A commit lacks a certification of the tests a stream requires.
        case notCertified
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(_ message: String, kind: Kind = .invalidInput) {
        self.kind = kind
        self.message = message
    }
}
