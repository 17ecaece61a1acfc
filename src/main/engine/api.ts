/** Binds the engine to the StrataApi contract that IPC and the HTTP bridge serve. */
import type { StrataApi } from '../../shared/api';
import type { Engine } from './engine';

export function engineApi(engine: Engine): StrataApi {
  return {
    status: async () => engine.status(),
    createSession: (input) => engine.createSession(input),
    addMessages: async (sessionId, messages) => {
      const r = await engine.addMessages(sessionId, messages);
      return { messageIds: r.messageIds, trace: r.trace };
    },
    listSessions: () => engine.listSessions(),
    listMessages: (sessionId) => engine.listMessages(sessionId),
    listTraces: (limit) => engine.listTraces(limit),
    deleteMessage: (id) => engine.deleteMessage(id),
    deleteSession: (id) => engine.deleteSession(id),
  };
}
