/* Shared between the task module's sources; not installed. */
#ifndef CEAS_TASK_PRIVATE_H
#define CEAS_TASK_PRIVATE_H

#include "ceas_task.h"

/* The names of a task file's items (ceas_task.h, "reading a task file"), spelled
 * only here: task.c writes them, task_file.c reads them. */
#define TASK_ATTR_MODEL "model"
#define TASK_ATTR_L "L"
#define TASK_ATTR_DIM "dim"
#define TASK_ATTR_N_SPINS "n_spins"
#define TASK_ATTR_BETA "beta"
#define TASK_ATTR_H "h"
#define TASK_ATTR_ALGO "algo"
#define TASK_ATTR_SEED "seed"
#define TASK_ATTR_STREAM "stream"
#define TASK_ATTR_MEASURE_EVERY "measure_every"
#define TASK_ATTR_PACKED_REPLICAS "packed_replicas"
#define TASK_ATTR_REPLICA "replica"
#define TASK_SERIES_GROUP "timeseries"
#define TASK_SERIES_ENERGY "energy"
#define TASK_SERIES_MAGNETIZATION "magnetization"
#define TASK_SERIES_F "structure_factor_kmin"
#define TASK_OBS_GROUP "observables"
#define TASK_OBS_CONVERGED "converged"
#define TASK_OBS_MEAN "mean"
#define TASK_OBS_ERROR "error"
#define TASK_OBS_TAU "tau_int"

/* One stretch of the chain (ceas_kernel_type.chunk sweeps at most, ending at the
 * end of thermalisation or at a measurement) and the measurement if one is due. */
int ceas_task_step(ceas_task *t);

/* The task's parameters as root attributes (ceasim_version, model, L, ...). */
int ceas_task_write_params(const ceas_task *t, hid_t loc, const char *command_line);

#endif
