# Runs a .tflite model through Debian's Arm NN 20.08 TfLite parser (an independent TFLite runtime check).
#
# Usage: /usr/bin/python3 armnn-tflite.py CASE.json
#   (Debian's python3, not a pyenv/venv one: pyarmnn is a Debian package: python3-pyarmnn,
#    libarmnntfliteparser22, libarmnn-cpuref-backend22; see scripts/setup.sh.)
#
# CASE.json:
#   {
#     "model": "/path/model.tflite",
#     "images": "/path/images.raw",    raw uint8 RGB, count*height*width*3 bytes, NHWC
#     "count": 2, "height": 224, "width": 224,
#     "backend": "CpuRef",             optional (default CpuRef)
#     "normalize": {"mean": 127.5, "std": 127.5}
#                                      optional; for a float32 input the model is fed (pixel-mean)/std
#                                      (mean/std may be numbers or 3 per-channel lists); default mean 0, std 1
#   }
#
# Prints ONE JSON object on stdout:
#   {"outputs": [[...] per image], "outputType": "uint8"|"int8"|"float32"|...,
#    "quantization": {"scale": s, "zeroPoint": z}   (only when the output is quantized),
#    "inputType": ..., "inputName": ..., "outputName": ..., "backend": ...,
#    "timings": {"parseMs": .., "optimizeMs": .., "loadMs": .., "inferMs": [.. per image]},
#    "knownDeviations": [...]   (only when present: quantized PAD ops with a non-zero zero point, which
#                                Arm NN 20.08 pads with raw 0 instead of the zero point; its outputs are then wrong)}
# Quantized outputs are the raw integers; float outputs are floats.
# On failure: a message on stderr (e.g. the parser's "Operator ... not supported") and a non-zero exit
# (2: bad case file or images, 3: parse refused, 4: optimize/load refused, 5: inference failed).
import json
import logging
import sys
import time

# pyarmnn logs a warning per parser it lacks (Caffe, Onnx, TF) on import; keep stderr for real errors.
logging.getLogger("pyarmnn").setLevel(logging.ERROR)


def fail(code, message):
    sys.stderr.write("armnn-tflite: " + message.rstrip() + "\n")
    sys.exit(code)


def quantized_pads(model_bytes):
    """PAD ops whose quantized input has a non-zero zero point, read straight from the flatbuffer.

    Arm NN 20.08's TfLiteParser::ParsePad leaves PadDescriptor.m_PadValue at 0 and the reference backend writes it
    as the raw quantized value, so such a PAD fills with real (0 - zeroPoint) * scale instead of real 0 as TFLite's
    kernel does (later Arm NN sets m_PadValue to the quantization offset). Every value downstream differs then.
    Returns [(operator index, input tensor name, zero point)]; [] if the file cannot be read this way.
    """
    import struct
    b = model_bytes

    def u32(o): return struct.unpack_from("<I", b, o)[0]

    def field(table, i):
        vtable = table - struct.unpack_from("<i", b, table)[0]
        if 4 + 2 * i >= struct.unpack_from("<H", b, vtable)[0]:
            return None
        off = struct.unpack_from("<H", b, vtable + 4 + 2 * i)[0]
        return table + off if off else None

    def table_at(p): return p + u32(p)

    def vector(table, i):
        p = field(table, i)
        if p is None:
            return []
        v = table_at(p)
        return [v + 4 + 4 * k for k in range(u32(v))]

    try:
        root = u32(0)
        codes = []
        for c in vector(root, 1):  # Model.operator_codes: OperatorCode {deprecated_builtin_code: byte, ..., builtin_code: int}
            code = table_at(c)
            p0, p3 = field(code, 0), field(code, 3)
            codes.append(max(struct.unpack_from("<b", b, p0)[0] if p0 else 0, struct.unpack_from("<i", b, p3)[0] if p3 else 0))
        subgraph = table_at(vector(root, 2)[0])
        tensors = [table_at(t) for t in vector(subgraph, 0)]
        found = []
        for index, o in enumerate(vector(subgraph, 3)):
            op = table_at(o)
            p = field(op, 0)
            if codes[u32(p) if p else 0] != 34:  # BuiltinOperator PAD
                continue
            inputs = vector(op, 1)
            tensor = tensors[struct.unpack_from("<i", b, inputs[0])[0]]
            pq = field(tensor, 4)
            if pq is None:
                continue
            pz = field(table_at(pq), 3)  # QuantizationParameters.zero_point: [long]
            zero = struct.unpack_from("<q", b, table_at(pz) + 4)[0] if pz and u32(table_at(pz)) else 0
            if zero != 0:
                name_p = field(tensor, 3)
                name = b[table_at(name_p) + 4:table_at(name_p) + 4 + u32(table_at(name_p))].decode("utf-8", "replace") if name_p else "?"
                found.append((index, name, zero))
        return found
    except (struct.error, IndexError, ValueError):
        return []


def main():
    if len(sys.argv) != 2:
        fail(2, "usage: /usr/bin/python3 armnn-tflite.py CASE.json")
    try:
        import numpy as np
        import pyarmnn as ann
    except ImportError as e:
        fail(2, "cannot import pyarmnn/numpy (%s); install python3-pyarmnn, libarmnntfliteparser22 and "
                "libarmnn-cpuref-backend22 and run with /usr/bin/python3" % e)
    if not hasattr(ann, "ITfLiteParser"):
        fail(2, "this pyarmnn has no ITfLiteParser; install libarmnntfliteparser22")

    try:
        with open(sys.argv[1], "r") as f:
            case = json.load(f)
        model = case["model"]
        count, height, width = int(case["count"]), int(case["height"]), int(case["width"])
        backend = case.get("backend") or "CpuRef"
        with open(case["images"], "rb") as f:
            raw = f.read()
        with open(model, "rb") as f:
            model_bytes = f.read()
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(2, "bad case file %s: %s: %s" % (sys.argv[1], type(e).__name__, e))
    expected = count * height * width * 3
    if len(raw) != expected:
        fail(2, "images file has %d bytes, expected count*height*width*3 = %d" % (len(raw), expected))
    pixels = np.frombuffer(raw, dtype=np.uint8).reshape(count, height, width, 3)

    timings = {}
    t = time.perf_counter()
    try:
        parser = ann.ITfLiteParser()
        network = parser.CreateNetworkFromBinaryFile(model)
    except Exception as e:  # the parser raises RuntimeError with its own message (unsupported op, bad tensor)
        fail(3, "Arm NN TfLite parser refused %s: %s" % (model, e))
    timings["parseMs"] = round((time.perf_counter() - t) * 1000, 1)

    if parser.GetSubgraphCount() != 1:
        fail(3, "expected 1 subgraph, the model has %d" % parser.GetSubgraphCount())
    input_names = list(parser.GetSubgraphInputTensorNames(0))
    output_names = list(parser.GetSubgraphOutputTensorNames(0))
    if not input_names or not output_names:
        fail(3, "the subgraph has no inputs or no outputs (inputs %s, outputs %s)" % (input_names, output_names))
    input_name = "image" if "image" in input_names else input_names[0]
    if len(input_names) > 1:
        fail(3, "the model has %d inputs %s; this check feeds one image input" % (len(input_names), input_names))
    input_binding = parser.GetNetworkInputBindingInfo(0, input_name)
    output_bindings = [parser.GetNetworkOutputBindingInfo(0, n) for n in output_names]
    input_info = input_binding[1]
    output_info = output_bindings[0][1]

    type_names = {
        ann.DataType_QAsymmU8: "uint8", ann.DataType_QAsymmS8: "int8", ann.DataType_QSymmS8: "int8",
        ann.DataType_Float32: "float32", ann.DataType_Float16: "float16", ann.DataType_Signed32: "int32",
        ann.DataType_QSymmS16: "int16", ann.DataType_Boolean: "bool",
    }
    input_type = input_info.GetDataType()
    output_type = output_info.GetDataType()
    input_shape = [input_info.GetShape()[i] for i in range(input_info.GetNumDimensions())]
    if input_shape != [1, height, width, 3]:
        fail(2, "model input %r has shape %s, the case gives [1,%d,%d,3]" % (input_name, input_shape, height, width))

    if input_type == ann.DataType_QAsymmU8:
        feed = [pixels[i:i + 1].copy() for i in range(count)]
    elif input_type == ann.DataType_Float32:
        norm = case.get("normalize") or {}
        mean = np.asarray(norm.get("mean", 0.0), dtype=np.float32)
        std = np.asarray(norm.get("std", 1.0), dtype=np.float32)
        floats = (pixels.astype(np.float32) - mean) / std
        feed = [floats[i:i + 1].astype(np.float32).copy() for i in range(count)]
    else:
        fail(2, "input %r has type %s; this check feeds uint8 or float32 images"
             % (input_name, type_names.get(input_type, input_type)))

    t = time.perf_counter()
    try:
        options = ann.CreationOptions()
        runtime = ann.IRuntime(options)
        opt_network, messages = ann.Optimize(network, [ann.BackendId(backend)], runtime.GetDeviceSpec(),
                                             ann.OptimizerOptions())
    except Exception as e:  # unsupported layer on the backend, e.g. "Layer of type ... is not supported"
        fail(4, "Arm NN Optimize for %s refused the network: %s" % (backend, e))
    for m in messages or ():
        sys.stderr.write("armnn-tflite: optimize: %s\n" % m)
    timings["optimizeMs"] = round((time.perf_counter() - t) * 1000, 1)
    t = time.perf_counter()
    try:
        net_id, load_message = runtime.LoadNetwork(opt_network)
    except Exception as e:
        fail(4, "Arm NN LoadNetwork on %s failed: %s" % (backend, e))
    if load_message:
        sys.stderr.write("armnn-tflite: load: %s\n" % load_message)
    timings["loadMs"] = round((time.perf_counter() - t) * 1000, 1)

    outputs = []
    timings["inferMs"] = []
    for data in feed:
        input_tensors = ann.make_input_tensors([input_binding], [data])
        output_tensors = ann.make_output_tensors(output_bindings)
        t = time.perf_counter()
        try:
            runtime.EnqueueWorkload(net_id, input_tensors, output_tensors)
        except Exception as e:
            fail(5, "Arm NN inference failed: %s" % e)
        timings["inferMs"].append(round((time.perf_counter() - t) * 1000, 1))
        result = ann.workload_tensors_to_ndarray(output_tensors)[0].reshape(-1)
        if output_info.IsQuantized() or np.issubdtype(result.dtype, np.integer):
            outputs.append([int(v) for v in result])
        else:
            outputs.append([float(v) for v in result])

    report = {
        "outputs": outputs,
        "outputType": type_names.get(output_type, str(output_type)),
        "inputType": type_names.get(input_type, str(input_type)),
        "inputName": input_name,
        "outputName": output_names[0],
        "backend": backend,
        "timings": timings,
    }
    deviations = ["operator %d PAD of '%s' (zero point %d): Arm NN 20.08 pads with the raw value 0, TFLite with the zero point"
                  % pad for pad in quantized_pads(model_bytes)]
    if deviations:
        report["knownDeviations"] = deviations
        sys.stderr.write("armnn-tflite: warning: %d quantized PAD op(s) with a non-zero zero point; Arm NN 20.08 fills them "
                         "with the wrong value, so its outputs are not the model's (see knownDeviations)\n" % len(deviations))
    if output_info.IsQuantized():
        report["quantization"] = {"scale": float(output_info.GetQuantizationScale()),
                                  "zeroPoint": int(output_info.GetQuantizationOffset())}
    if len(output_names) > 1:
        report["otherOutputs"] = output_names[1:]
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
