import Deploy
import Foundation

/// The OSTree client that carries out a scenario's `upgrade`, `rollback` and `kargs` steps:
/// the one the guest has (treectl, then rpm-ostree, then plain `ostree admin`), or the one
/// `harness run --client` names. Each step is one shell command run in the guest.
public enum GuestClient: String, Sendable, CaseIterable {
    case treectl
    case rpmOstree = "rpm-ostree"
    case ostree

    /// Prints the first client the guest has; exits 1 when it has none.
    static let detection = "for c in treectl rpm-ostree ostree; do command -v $c >/dev/null && { echo $c; exit 0; }; done; exit 1"

    /// Upgrades from the booted deployment's origin (the image's remote and ref).
    var upgrade: String {
        switch self {
        case .treectl: "treectl upgrade"
        case .rpmOstree: "rpm-ostree upgrade"
        case .ostree: "ostree admin upgrade"
        }
    }

    /// Makes the previous deployment the default for the next boot.
    var rollback: String {
        switch self {
        case .treectl: "treectl rollback"
        case .rpmOstree: "rpm-ostree rollback"
        case .ostree: Self.ostreeRollback
        }
    }

    /// Adds kernel arguments through a new deployment.
    func kargs(append: [String]) -> String {
        let quoted = append.map(\.shellQuoted)
        switch self {
        case .treectl: return "treectl kargs " + quoted.map { "--append=" + $0 }.joined(separator: " ")
        case .rpmOstree: return "rpm-ostree kargs " + quoted.map { "--append=" + $0 }.joined(separator: " ")
        case .ostree:
            return Self.ostreeBooted + """

                ostree admin deploy --os="$os" --origin-file="/ostree/deploy/$os/deploy/$checksum.$serial.origin" \
                \(quoted.map { "--karg-append=" + $0 }.joined(separator: " ")) "$checksum"
                """
        }
    }

    /// A command printing the JSON status with `deployments[].booted` and `base-checksum` or
    /// `checksum`, or nil for plain ostree (whose status is text: `bootedCommit(fromOstreeStatus:)`).
    var statusJSON: String? {
        switch self {
        case .treectl: "treectl status --json"
        case .rpmOstree: "rpm-ostree status --json"
        case .ostree: nil
        }
    }

    /// Sets `os`, `checksum` and `serial` of the booted deployment from `ostree admin status`.
    private static let ostreeBooted = """
        set -e
        set -- $(ostree admin status | sed -n 's/^\\* \\([^ ]*\\) \\([0-9a-f]\\{64\\}\\)\\.\\([0-9]*\\).*/\\1 \\2 \\3/p')
        [ $# = 3 ] || { echo "ostree admin status shows no booted deployment" >&2; exit 1; }
        os=$1 checksum=$2 serial=$3
        """

    /// Rollback with `ostree admin`: `set-default 1` where ostree has it (2023.1 and later);
    /// with older ostree (Debian's 2022.7), the previous deployment's commit deployed again as
    /// the default, with its origin and its own kernel arguments (from its boot entry).
    private static let ostreeRollback = """
        set -e
        # (Not `set-default --help`: ostree answers --help before it looks at the subcommand.)
        if ostree admin --help 2>&1 | grep -q '^ *set-default '; then exec ostree admin set-default 1; fi
        set -- $(ostree admin status | sed -n 's/^[* ] \\([^ ]*\\) \\([0-9a-f]\\{64\\}\\)\\.\\([0-9]*\\).*/\\1 \\2.\\3/p' | sed -n 2p)
        [ $# = 2 ] || { echo "no previous deployment to roll back to" >&2; exit 1; }
        os=$1 deployment=$2
        for entry in /boot/loader/entries/*.conf; do
            options=$(sed -n 's/^options //p' "$entry")
            path=$(printf '%s\\n' $options | sed -n 's/^ostree=//p')
            [ "$(readlink -f "$path")" = "$(readlink -f "/ostree/deploy/$os/deploy/$deployment")" ] && break
            options=
        done
        [ -n "$options" ] || { echo "no boot entry of $deployment" >&2; exit 1; }
        set --
        for karg in $options; do case $karg in ostree=*) ;; *) set -- "$@" "--karg-append=$karg" ;; esac; done
        ostree admin deploy --os="$os" --retain --karg-none "$@" \
            --origin-file="/ostree/deploy/$os/deploy/$deployment.origin" "${deployment%.*}"
        """

    /// The booted deployment's commit in `ostree admin status` output (the `* OS CHECKSUM.N` line).
    static func bootedCommit(fromOstreeStatus text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("* ") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let dot = fields[2].firstIndex(of: ".") else { continue }
            let checksum = fields[2][..<dot]
            if checksum.count == 64, checksum.allSatisfy(\.isHexDigit) { return String(checksum) }
        }
        return nil
    }

    /// The booted deployment's base commit in a client's `status --json`.
    static func bootedCommit(fromStatusJSON json: String) -> String? {
        (try? SystemStatus(json: json))?.booted?.base
    }
}
