import Foundation

/// What an installer's console says it did: its last `harness-installer:` line, which
/// ImageBuild's `InstallerScript` prints at every end (`installed ...`, `refused: ...`,
/// `failed: ...`) before it powers off.
public enum InstallerOutcome: Equatable, Sendable {
    case installed(String)
    case refused(String)
    case failed(String)
    /// No last word: the machine stopped or hung before the installer ended.
    case unknown

    static let prefix = "harness-installer: "

    public init(console: String) {
        let lines = console.split(whereSeparator: \.isNewline)
        guard let last = lines.last(where: { $0.contains(Self.prefix) }),
              let marker = last.range(of: Self.prefix) else {
            self = .unknown
            return
        }
        let text = String(last[marker.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("installed ") {
            self = .installed(text)
        } else if text.hasPrefix("refused: ") {
            self = .refused(String(text.dropFirst("refused: ".count)))
        } else if text.hasPrefix("failed: ") {
            self = .failed(String(text.dropFirst("failed: ".count)))
        } else {
            self = .unknown
        }
    }
}
