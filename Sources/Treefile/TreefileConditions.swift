/// One `conditional-include` condition, `variable op value`, e.g. `releasever >= 41`,
/// `basearch != "s390x"`, `prod == false`.
struct IncludeCondition: Sendable, Equatable {
    enum Operator: String, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    }

    /// Why a condition cannot be read or checked; the caller adds the file name.
    struct Failure: Error {
        var kind: TreefileError.Kind
        var message: String
    }

    let variable: String
    let comparison: Operator
    let value: TreefileVariable

    /// Reads `name op literal`, where a literal is `true`, `false`, digits, or a string in
    /// double quotes (everything between the first and the last quote).
    init(parsing text: String) throws(Failure) {
        let invalid = Failure(kind: .invalidCondition, message: "invalid condition '\(text)'")
        var rest = Substring(text).drop(while: \.isWhitespace)
        let name = rest.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        guard !name.isEmpty else { throw invalid }
        rest = rest.dropFirst(name.count).drop(while: \.isWhitespace)
        let symbol = rest.prefix(while: { !$0.isWhitespace && !$0.isLetter && !$0.isNumber && $0 != "\"" })
        guard !symbol.isEmpty else { throw invalid }
        rest = rest.dropFirst(symbol.count).drop(while: \.isWhitespace)
        let literal = String(rest.reversed().drop(while: \.isWhitespace).reversed())

        let value: TreefileVariable
        if literal == "true" || literal == "false" {
            value = .bool(literal == "true")
        } else if !literal.isEmpty, literal.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let number = UInt64(literal) else {
                throw Failure(kind: .invalidCondition, message: "number \(literal) is too large in condition '\(text)'")
            }
            value = .number(number)
        } else if literal.count >= 2, literal.hasPrefix("\""), literal.hasSuffix("\"") {
            value = .string(String(literal.dropFirst().dropLast()))
        } else {
            throw invalid
        }
        guard let comparison = Operator(rawValue: String(symbol)) else {
            let expected = Operator.allCases.map(\.rawValue).joined(separator: ", ")
            throw Failure(kind: .invalidCondition,
                          message: "expected one of \(expected) but got '\(symbol)' in condition '\(text)'")
        }
        self.variable = String(name)
        self.comparison = comparison
        self.value = value
    }

    /// Whether the condition holds. An undefined variable, a value of another type than the
    /// variable's, or an ordering of non-numbers is an error, whatever the outcome would be.
    func evaluate(_ variables: [String: TreefileVariable]) throws(Failure) -> Bool {
        guard let current = variables[variable] else {
            throw Failure(kind: .undefinedVariable, message: "undefined variable '\(variable)'")
        }
        switch comparison {
        case .equal, .notEqual:
            guard current.kindDescription == value.kindDescription else {
                throw Failure(kind: .invalidCondition,
                              message: "'\(variable)' is \(current.kindDescription) but is compared with \(value.kindDescription) (\(literalText))")
            }
            return (current == value) == (comparison == .equal)
        case .greater, .greaterOrEqual, .less, .lessOrEqual:
            guard case .number(let left) = current, case .number(let right) = value else {
                throw Failure(kind: .invalidCondition,
                              message: "'\(comparison.rawValue)' compares numbers only, but '\(variable)' is \(current.kindDescription) and \(literalText) is \(value.kindDescription)")
            }
            switch comparison {
            case .greater: return left > right
            case .greaterOrEqual: return left >= right
            case .less: return left < right
            default: return left <= right
            }
        }
    }

    private var literalText: String {
        if case .string(let string) = value { return "\"\(string)\"" }
        return value.description
    }
}
