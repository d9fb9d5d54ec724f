/// Why a treefile could not be loaded, in one line that names the file and, where there is
/// one, the key: `manifest.yaml: unknown key 'pakages'`.
public struct TreefileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad reason, so callers and tests can tell failures apart without reading the text.
    public enum Kind: Sendable, Equatable {
        /// The file is not valid YAML, JSON or kickstart, or its top level is not a mapping.
        case syntax
        /// A YAML treefile uses a key rpm-ostree does not know.
        case unknownKey
        /// A key's value has the wrong type.
        case wrongType
        /// A value has the right type but is not allowed (an empty `ref`, a bad add-files path, ...).
        case invalidValue
        /// A file the treefile names does not exist: an include, a postprocess-script, an add-files
        /// source, a check-passwd file, a `base` archive, a kickstart `%include`.
        case missingFile
        /// The same file was reached twice through includes.
        case includeLoop
        /// Includes nest deeper than rpm-ostree allows.
        case includeDepth
        /// A conditional-include tests a variable that no file and no `--var` defines.
        case undefinedVariable
        /// A conditional-include condition is malformed, or compares values of different types.
        case invalidCondition
        /// The file uses something a compose cannot use (client-side keys, kickstart commands
        /// other than `%packages` and `%include`).
        case unsupported
    }

    /// The broad reason.
    public var kind: Kind
    /// The file at fault, as shown to the user (relative to the root treefile's directory when
    /// it is under it); nil when no single file is at fault.
    public var file: String?
    /// What is wrong, without the file name.
    public var message: String

    /// Creates an error; `file` is the display name of the file at fault.
    public init(_ kind: Kind, file: String?, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    /// `file: message`, or just the message when no file is at fault.
    public var description: String {
        guard let file else { return message }
        return "\(file): \(message)"
    }
}
