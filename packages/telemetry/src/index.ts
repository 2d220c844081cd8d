export * from './types.js';
export { numOrNull, ParseError } from './parse-util.js';
export { parseProcStat, cpuPercent, parseMeminfo, parseProcStatusRss, type CpuTimes } from './proc.js';
export { parseNvidiaGpus, parseNvidiaApps, decodeThrottleReasons, NVIDIA_GPU_FIELDS, nvidiaGpuArgs, nvidiaAppsArgs } from './nvidia.js';
export { parseRocmSmi, rocmArgs } from './rocm.js';
export { parseMacmon, macmonArgs, type MacmonSample } from './macmon.js';
export { readThermalZones } from './thermal.js';
export { runTool, type ToolResult } from './run-tool.js';
export { SystemCollector, type SystemCollectorOptions } from './collector.js';
