import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python has the `onnx` package; tests build their own small models with it. */
export const systemPython = '/usr/bin/python3';

export function hasOnnxPython(): boolean {
  if (!existsSync(systemPython)) return false;
  return spawnSync(systemPython, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
}

const SCRIPT = String.raw`
import sys, onnx
from onnx import helper, TensorProto
n_in, n_out, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
W = [((i * 7 + j * 3) % 11 - 5) / 10.0 for i in range(n_in) for j in range(n_out)]
B = [0.1 * (j + 1) for j in range(n_out)]
graph = helper.make_graph(
    [helper.make_node("MatMul", ["features", "W"], ["mm"]), helper.make_node("Add", ["mm", "B"], ["logits"])],
    "tiny",
    [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_in])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_out])],
    [helper.make_tensor("W", TensorProto.FLOAT, [n_in, n_out], W), helper.make_tensor("B", TensorProto.FLOAT, [n_out], B)],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, out)
`;

/** A linear model: float32 `features` [batch, nIn] → `logits` [batch, nOut]. */
export function writeTinyOnnx(file: string, nIn = 3, nOut = 2): void {
  const r = spawnSync(systemPython, ['-c', SCRIPT, String(nIn), String(nOut), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not build the test model: ${r.stderr}`);
}
