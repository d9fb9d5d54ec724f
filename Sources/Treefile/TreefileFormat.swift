/// How a treefile is read, decided by its file name as rpm-ostree decides it.
enum TreefileFormat: Sendable, Equatable {
    /// `.yaml` / `.yml`: unknown keys are an error.
    case yaml
    /// Any other name: unknown keys are silently ignored.
    case json
    /// `.ks`: only `%packages` and `%include` are understood.
    case kickstart

    init(path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            self = .yaml
        } else if name.hasSuffix(".ks") {
            self = .kickstart
        } else {
            self = .json
        }
    }

    /// Whether keys rpm-ostree does not know make the file invalid.
    var rejectsUnknownKeys: Bool { self == .yaml }

    /// How the file is parsed into a mapping; nil for a kickstart, which is not one.
    var documentSyntax: TreefileDocument.Syntax? {
        switch self {
        case .yaml: return .yaml
        case .json: return .json
        case .kickstart: return nil
        }
    }
}
