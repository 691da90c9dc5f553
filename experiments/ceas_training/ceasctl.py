"""ceasim's CEAS controller and gating rules for Python, through ctypes.

The training loop's thermostat is libceasim_attention (src/attention/control.c
and gate.c), the same code `ceasim attention --controller` runs: there is no
Python copy of the formulas. The library needs only libc and libm, so a build
made on one machine can be carried to another (the GPU machine) as one file.

Raw-score convention: logits = beta * (q . k); the textbook softmax is
beta = 1/sqrt(d_k). API: see the functions below and docs/attention.md.
"""

import ctypes as C
import math
import os

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))
_lib = None


class _Preset(C.Structure):
    _fields_ = [("name", C.c_char_p),
                ("kappa_max", C.c_double), ("kappa_inf", C.c_double),
                ("tau_kappa", C.c_double), ("dbeta_max", C.c_double),
                ("u_min", C.c_double),
                ("ema_H", C.c_uint), ("ema_sigma", C.c_uint),
                ("T_max", C.c_double), ("T_inf", C.c_double), ("tau_T", C.c_double),
                ("q0", C.c_double), ("q1", C.c_double),
                ("q_steps", C.c_uint), ("freeze_w", C.c_uint),
                ("freeze_offset", C.c_double),
                ("m_min", C.c_uint), ("h_min", C.c_uint),
                ("backoff_dT", C.c_double),
                ("backoff_steps", C.c_uint),
                ("backoff_sigma", C.c_double)]


class _Params(C.Structure):
    _fields_ = [("kappa_max", C.c_double), ("kappa_inf", C.c_double),
                ("tau_kappa", C.c_double), ("dbeta_max", C.c_double),
                ("eps", C.c_double), ("target_offset", C.c_double),
                ("tol", C.c_double), ("beta0", C.c_double), ("beta_c", C.c_double),
                ("u_min", C.c_double), ("ema_H", C.c_uint), ("ema_var", C.c_uint),
                ("steps", C.c_size_t)]


class _Ctrl(C.Structure):
    _fields_ = [("p", _Params), ("beta", C.c_double), ("H_target", C.c_double),
                ("H_seen", C.c_double), ("var_seen", C.c_double),
                ("gain_scale", C.c_double), ("t", C.c_size_t), ("observed", C.c_int)]


class _Gibbs(C.Structure):
    _fields_ = [(k, C.c_double) for k in ("beta", "H", "n_eff", "mean", "var", "heat", "sigma",
                                          "gate", "beta_star", "beta_rem")]


class _Traj(C.Structure):
    _fields_ = [("steps", C.c_size_t), ("H_target", C.c_double),
                ("beta", C.POINTER(C.c_double)), ("H", C.POINTER(C.c_double)),
                ("clipped", C.POINTER(C.c_ubyte)), ("margin", C.POINTER(C.c_ubyte)),
                ("guard", C.POINTER(C.c_ubyte)), ("corridor_step", C.c_long)]


_DP = C.POINTER(C.c_double)
_PARAM_KEYS = ("kappa_max", "kappa_inf", "tau_kappa", "dbeta_max", "eps",
               "target_offset", "tol", "u_min", "ema_H", "ema_var")


def load(path=None):
    """Loads the library: path, else $CEASIM_ATTENTION_LIB, else build/ of this tree."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    path = path or os.environ.get("CEASIM_ATTENTION_LIB") or os.path.join(
        _REPO, "build", "libceasim_attention.so")
    if not os.path.exists(path):
        raise RuntimeError(f"{path}: libceasim_attention.so not found; build ceasim "
                           "(cmake --build build) or set CEASIM_ATTENTION_LIB")
    lib = C.CDLL(path)
    sig = {
        "ceas_error_message": (C.c_char_p, []),
        "ceas_version": (C.c_char_p, []),
        "ceas_attention_preset_find": (C.POINTER(_Preset), [C.c_char_p]),
        "ceas_attention_ctrl_defaults": (C.c_int, [C.c_char_p, C.POINTER(_Params)]),
        "ceas_attention_ctrl_init": (C.c_int, [C.POINTER(_Ctrl), C.POINTER(_Params),
                                               C.c_double, C.c_double,
                                               C.POINTER(C.c_uint)]),
        "ceas_attention_ctrl_observe": (C.c_int, [C.POINTER(_Ctrl), C.c_double, C.c_double]),
        "ceas_attention_ctrl_update": (C.c_int, [C.POINTER(_Ctrl), C.POINTER(C.c_uint)]),
        "ceas_attention_ctrl_run": (C.c_int, [_DP, C.c_size_t, C.c_size_t, C.c_size_t,
                                              C.POINTER(_Params),
                                              C.POINTER(C.POINTER(_Traj))]),
        "ceas_attention_traj_free": (None, [C.POINTER(_Traj)]),
        "ceas_attention_gibbs_eval": (C.c_int, [_DP, C.c_size_t, C.c_double,
                                                C.POINTER(_Gibbs), _DP]),
        "ceas_attention_head_HV": (C.c_int, [_DP, C.c_size_t, C.c_size_t, C.c_double, _DP, _DP]),
        "ceas_attention_gate_threshold": (C.c_double, [C.POINTER(_Preset), C.c_double]),
        "ceas_attention_gate_topq": (C.c_double, [C.POINTER(_Preset), C.c_double]),
        "ceas_attention_gate_keep": (C.c_int, [_DP, C.c_size_t, C.c_double, C.c_double,
                                               C.c_size_t, C.POINTER(C.c_ubyte)]),
        "ceas_attention_heat_peak_rows": (C.c_int, [_DP, C.POINTER(C.c_size_t), C.c_size_t,
                                                    C.c_size_t, _DP, C.c_size_t, _DP, _DP]),
    }
    sig["ceas_attention_struct_size"] = (C.c_size_t, [C.c_char_p])
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
    for cname, cls in (("preset", _Preset), ("ctrl_params", _Params), ("ctrl", _Ctrl),
                       ("traj", _Traj), ("gibbs", _Gibbs)):
        if lib.ceas_attention_struct_size(cname.encode()) != C.sizeof(cls):
            raise RuntimeError(f"{path}: struct {cname} is {lib.ceas_attention_struct_size(cname.encode())}"
                               f" bytes in the library, {C.sizeof(cls)} here: ceasctl.py and "
                               "ceas_attention.h disagree")
    _lib = lib
    return lib


def _check(rc):
    if rc != 0:
        raise ValueError(load().ceas_error_message().decode(errors="replace"))


def version():
    return load().ceas_version().decode()


def _preset_ptr(name):
    p = load().ceas_attention_preset_find(name.encode())
    if not p:
        raise ValueError(f"preset '{name}': expected 9k, 14m or gpt")
    return p


def preset(name):
    """The CEAS.md defaults of a preset (controller, gating, guardrails) as a dict."""
    p = _preset_ptr(name).contents
    d = {k: getattr(p, k) for k, _ in _Preset._fields_ if k != "name"}
    d["name"] = name
    params = _Params()
    _check(load().ceas_attention_ctrl_defaults(name.encode(), C.byref(params)))
    d["target_offset"] = params.target_offset
    d["tol"] = params.tol
    d["eps"] = params.eps
    return d


def _params(name, overrides):
    params = _Params()
    _check(load().ceas_attention_ctrl_defaults(name.encode(), C.byref(params)))
    for k, v in overrides.items():
        if k not in _PARAM_KEYS:
            raise ValueError(f"controller override '{k}': expected one of {', '.join(_PARAM_KEYS)}")
        setattr(params, k, v)
    return params


_FLAGS = (("clipped", 1), ("guard", 2), ("margin", 4))


def _flags(f):
    return {k: bool(f & bit) for k, bit in _FLAGS}


class Controller:
    """One head's Newton beta-thermostat (ceas_attention_ctrl_*): observe the
    minibatch's head-average H and Var_p[s] at the current beta, then update."""

    def __init__(self, preset_name, beta0, H_target, beta_c=0.0, ema_H=None, ema_var=None,
                 **overrides):
        pr = preset(preset_name)
        overrides["ema_H"] = pr["ema_H"] if ema_H is None else ema_H
        overrides["ema_var"] = pr["ema_H"] if ema_var is None else ema_var
        self._p = _params(preset_name, overrides)
        self._p.beta_c = beta_c
        self._c = _Ctrl()
        f = C.c_uint(0)
        _check(load().ceas_attention_ctrl_init(C.byref(self._c), C.byref(self._p),
                                               float(beta0), float(H_target), C.byref(f)))
        self.init_flags = _flags(f.value)

    def observe(self, H, var):
        _check(load().ceas_attention_ctrl_observe(C.byref(self._c), float(H), float(var)))

    def update(self):
        f = C.c_uint(0)
        _check(load().ceas_attention_ctrl_update(C.byref(self._c), C.byref(f)))
        return self._c.beta, _flags(f.value)

    def set_beta_c(self, beta_c):
        self._c.p.beta_c = float(beta_c)

    def set_gain_scale(self, g):
        self._c.gain_scale = float(g)

    beta = property(lambda self: self._c.beta)
    t = property(lambda self: self._c.t)
    H_seen = property(lambda self: self._c.H_seen)
    var_seen = property(lambda self: self._c.var_seen)
    H_target = property(lambda self: self._c.H_target)
    beta_c = property(lambda self: self._c.p.beta_c)
    tol = property(lambda self: self._c.p.tol)


def gibbs(scores, beta):
    """One query's softmax as a Gibbs system at beta (ceas_attention_gibbs_eval):
    dict of H, n_eff, mean, var, heat, sigma, gate, beta_star, beta_rem."""
    s = np.ascontiguousarray(scores, dtype=np.float64).ravel()
    g = _Gibbs()
    _check(load().ceas_attention_gibbs_eval(s.ctypes.data_as(_DP), s.size, float(beta),
                                            C.byref(g), None))
    return {k: getattr(g, k) for k, _ in _Gibbs._fields_}


def head_HV(scores, beta):
    """Head averages (H, Var) over the rows of a 2-D score array, as the controller
    of ctrl_run measures them (ceas_attention_head_HV)."""
    s = np.ascontiguousarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError("head_HV: scores must be 2-D (queries x keys)")
    H, V = C.c_double(), C.c_double()
    _check(load().ceas_attention_head_HV(s.ctypes.data_as(_DP), s.shape[0], s.shape[1],
                                         float(beta), C.byref(H), C.byref(V)))
    return H.value, V.value


def gate_threshold(preset_name, t, shift=0.0):
    return load().ceas_attention_gate_threshold(_preset_ptr(preset_name), float(t)) - shift


def gate_topq(preset_name, t):
    return load().ceas_attention_gate_topq(_preset_ptr(preset_name), float(t))


def gate_keep(T, T_gate, q, m_min):
    T = np.ascontiguousarray(T, dtype=np.float64)
    if T.ndim != 1:
        raise ValueError("gate_keep: T must be 1-D")
    keep = np.zeros(T.size, dtype=np.uint8)
    _check(load().ceas_attention_gate_keep(
        T.ctypes.data_as(_DP), T.size, float(T_gate), float(q), int(m_min),
        keep.ctypes.data_as(C.POINTER(C.c_ubyte))))
    return keep.astype(bool)


def heat_peak(rows, beta_grid):
    """(peak beta, head-mean heat curve) over ragged score rows (ceas_attention_heat_peak_rows)."""
    rows = [np.asarray(r, dtype=np.float64).ravel() for r in rows]
    if not rows:
        raise ValueError("heat_peak: no rows")
    stride = max(r.size for r in rows)
    buf = np.zeros((len(rows), stride))
    lens = np.zeros(len(rows), dtype=np.uintp)
    for i, r in enumerate(rows):
        buf[i, :r.size] = r
        lens[i] = r.size
    grid = np.ascontiguousarray(beta_grid, dtype=np.float64)
    heat = np.zeros(grid.size)
    peak = C.c_double(math.nan)
    _check(load().ceas_attention_heat_peak_rows(
        buf.ctypes.data_as(_DP), lens.ctypes.data_as(C.POINTER(C.c_size_t)), len(rows), stride,
        grid.ctypes.data_as(_DP), grid.size, heat.ctypes.data_as(_DP), C.byref(peak)))
    return peak.value, heat


def ctrl_run(scores, d_k, preset="9k", steps=4000, beta_c=0.0, **overrides):
    """The static-head controller, as `ceasim attention --controller` runs it."""
    s = np.ascontiguousarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError("ctrl_run: scores must be 2-D (queries x keys)")
    p = _params(preset, overrides)
    p.steps = int(steps)
    p.beta_c = float(beta_c)
    t = C.POINTER(_Traj)()
    _check(load().ceas_attention_ctrl_run(s.ctypes.data_as(_DP), s.shape[0], s.shape[1],
                                          int(d_k), C.byref(p), C.byref(t)))
    try:
        tr = t.contents
        n = tr.steps + 1
        out = dict(beta=np.ctypeslib.as_array(tr.beta, (n,)).copy(),
                   H=np.ctypeslib.as_array(tr.H, (n,)).copy(),
                   H_target=tr.H_target, corridor_step=tr.corridor_step)
    finally:
        load().ceas_attention_traj_free(t)
    return out
