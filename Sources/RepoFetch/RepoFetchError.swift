import GLib

/// A repository or package that librepo could not fetch, naming the URL.
public struct RepoFetchError: Error, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// librepo failed, with its GLib error.
        case library(GLibError)
        /// A signature check failed or a key could not be imported: trying again cannot help.
        case signature(GLibError)
        /// librepo failed to download a package, with its message.
        case packageDownload(String)
        /// The repository's `repomd.xml` lists no primary metadata.
        case noPrimaryMetadata
        /// A file is over the size allowed for it.
        case tooLarge(limit: Int)
    }

    /// The repository id, URL or package at fault.
    public var subject: String
    public var kind: Kind

    /// Whether a signature check failed (a key, `repomd.xml.asc`).
    public var isAboutSignature: Bool {
        if case .signature = kind { true } else { false }
    }

    public var description: String {
        switch kind {
        case .library(let error): "\(subject): \(error.message)"
        case .signature(let error): "\(subject): \(error.message)"
        case .packageDownload(let message): "\(subject): \(message)"
        case .noPrimaryMetadata: "\(subject): repository has no primary metadata"
        case .tooLarge(let limit): "\(subject): larger than \(limit) bytes"
        }
    }

    public init(_ subject: String, _ kind: Kind) {
        self.subject = subject
        self.kind = kind
    }
}
