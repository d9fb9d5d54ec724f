import Foundation

/// Named places where a test can make the program stop dead, as rpm-ostree's failpoints do:
/// `HARNESS_FAILPOINTS=NAME=ACTION[,NAME=ACTION...]` in the environment, where ACTION is
/// `kill` (SIGKILL, no clean-up at all) or `pause` (wait until a signal arrives). Without the
/// variable, a failpoint costs one environment look-up.
public enum Failpoint {
    /// Acts on the failpoint `name` if the environment names it.
    public static func hit(_ name: String) {
        guard let setting = ProcessInfo.processInfo.environment["HARNESS_FAILPOINTS"] else { return }
        for entry in setting.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == name else { continue }
            Console.progress("failpoint \(name): \(parts[1])")
            switch parts[1] {
            case "kill": kill(getpid(), SIGKILL)
            case "pause": while true { sleep(3600) }
            default: Console.warning("failpoint \(name): unknown action '\(parts[1])'")
            }
        }
    }
}
