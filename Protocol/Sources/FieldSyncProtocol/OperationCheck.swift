/// The well-formedness check of a change set: each operation carries the members its type needs
/// and its fields fit the schema. A failure is a 400 for the whole change set (nothing applied),
/// as the contract's section 6 asks; rules that depend on the stored record (states, conflicts,
/// permissions) are verdicts instead, decided when the change set is applied.
public enum OperationCheck {
    public static func check(_ changeSet: ChangeSet) throws(ValidationError) {
        if changeSet.operations.isEmpty {
            throw ValidationError(.invalidValue, "The change set \(changeSet.id) has no operations; send at least one.")
        }
        if changeSet.operations.count > WireProtocol.maxOperationsPerChangeSet {
            throw ValidationError(
                .invalidValue,
                "The change set has \(changeSet.operations.count) operations; the most is \(WireProtocol.maxOperationsPerChangeSet). Split it."
            )
        }
        if changeSet.deviceSequence < 1 {
            throw ValidationError(.invalidValue, "deviceSequence must be 1 or more (1, 2, 3 … in the order the device made them).")
        }
        if changeSet.deviceSequence > WireProtocol.maxDeviceSequence {
            throw ValidationError(
                .sequenceOutOfRange,
                "deviceSequence \(changeSet.deviceSequence) is above the largest the server accepts (\(WireProtocol.maxDeviceSequence)); number change sets 1, 2, 3 … in the order the device made them."
            )
        }
        if WireTime.parse(changeSet.madeAt) == nil {
            throw ValidationError(.invalidValue, "madeAt is '\(changeSet.madeAt)'; it must be an ISO 8601 date and time with a zone.")
        }
        for (index, op) in changeSet.operations.enumerated() {
            try check(op, context: "operation \(index + 1) (\(op.op.rawValue) of \(op.record))")
        }
    }

    static func require<T>(_ value: T?, _ member: String, _ context: String) throws(ValidationError) -> T {
        guard let value else { throw ValidationError(.missingMember, "\(context) needs '\(member)'.") }
        return value
    }

    public static func check(_ op: ChangeOperation, context: String) throws(ValidationError) {
        switch op.op {
        case .create:
            let kind = try require(op.kind, "kind", context)
            _ = try require(op.youngPerson, "youngPerson", context)
            if let state = op.state, !kind.schema.lifecycle.initialStates.contains(state) {
                throw ValidationError(
                    .invalidValue,
                    "\(context): a new \(kind.rawValue) record starts in \(kind.schema.lifecycle.initialStates.joined(separator: " or ")), not '\(state)'."
                )
            }
            try FieldValidation.check(op.fields ?? [:], of: kind, context: context)
        case .update:
            let base = try require(op.base, "base", context)
            if base < 0 { throw ValidationError(.invalidValue, "\(context): base must be 0 or more.") }
            let fields = try require(op.fields, "fields", context)
            if fields.isEmpty { throw ValidationError(.invalidValue, "\(context): 'fields' is empty; name at least one field.") }
            let baseFields = try require(op.baseFields, "baseFields", context)
            for name in fields.keys.sorted() where baseFields[name] == nil {
                throw ValidationError(
                    .missingMember,
                    "\(context): baseFields has no entry for '\(name)'; give the value you edited from (null if it was empty).")
            }
            // The kind is not in an update; the schema check happens against the union of kinds
            // here and against the record's own kind when applied.
            if let kind = RecordKind.allCases.first(where: { k in fields.keys.allSatisfy { k.schema.field($0) != nil } }) {
                try FieldValidation.check(fields, of: kind, context: context)
            } else {
                let unknown = fields.keys.sorted().first { name in RecordKind.allCases.allSatisfy { $0.schema.field(name) == nil } }
                throw ValidationError(
                    .unknownField,
                    "\(context): no record kind has the field '\(unknown ?? fields.keys.sorted().joined(separator: ", "))'.")
            }
        case .transition:
            _ = try require(op.base, "base", context)
            let to = try require(op.to, "to", context)
            let known = Set(RecordKind.allCases.flatMap { $0.schema.lifecycle.allStates })
            if !known.contains(to) {
                throw ValidationError(.invalidValue, "\(context): '\(to)' is not a state of any record kind.")
            }
            // Kept in the record's history: bounded like a short text field.
            if let reason = op.reason { try FieldValidation.checkLength(reason, maxLength: 2_000, path: "reason", context: context) }
        case .delete:
            _ = try require(op.base, "base", context)
        case .resolve:
            _ = try require(op.base, "base", context)
            _ = try require(op.conflict, "conflict", context)
            let choice = try require(op.choice, "choice", context)
            if choice == .value, op.value == nil {
                throw ValidationError(.missingMember, "\(context): a resolve with choice 'value' needs 'value'.")
            }
        }
    }
}
