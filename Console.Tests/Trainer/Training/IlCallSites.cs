using System.Reflection;
using System.Reflection.Emit;

namespace VisionConsole.Tests.Trainer.Training;

/// <summary>
/// The methods an assembly's code calls, read from its IL (a reflection-only walk: no library reads call sites without
/// loading a decompiler, and this needs only the opcode lengths).
/// </summary>
internal static class IlCallSites
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
        BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Every (caller, callee) pair of <paramref name="assembly"/>'s methods, lambdas and local functions included.</summary>
    public static IEnumerable<(MethodBase Caller, MethodBase Callee)> Of(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(t => t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)))
            .SelectMany(m => CalleesOf(m).Select(c => (m, c)));

    /// <summary>The methods <paramref name="method"/>'s body calls or constructs with.</summary>
    public static IEnumerable<MethodBase> CalleesOf(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
            yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            var opCode = OpCodesByValue[value];
            at += opCode.Size;
            if (opCode.OperandType == OperandType.InlineMethod)
            {
                var token = BitConverter.ToInt32(il, at);
                yield return method.Module.ResolveMethod(token, typeArguments, methodArguments)!;
            }
            at += OperandSize(opCode.OperandType, il, at);
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
