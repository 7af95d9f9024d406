import { Command, CommanderError } from 'commander';
import { registerProxyCommands } from './proxy.ts';
import { registerHubCommands } from './hub.ts';
import { registerImageCommands } from './image.ts';
import { registerConfigCommands } from './config.ts';
import { registerEnvCommands } from './env.ts';
import { registerLogsCommands } from './logs.ts';
import { registerHttpsCommands } from './https.ts';
import { registerAuthCommands } from './auth.ts';
import { registerOpsCommands } from './ops.ts';
import { registerBackupCommands } from './backup.ts';
import { packageVersion } from './self.ts';

const program = new Command('plasma')
  .description('Plasma: a multi-user Jupyter platform for teaching')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride();

registerHubCommands(program);
registerProxyCommands(program);
registerImageCommands(program);
registerConfigCommands(program);
registerEnvCommands(program);
registerLogsCommands(program);
registerHttpsCommands(program);
registerAuthCommands(program);
registerOpsCommands(program);
registerBackupCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  console.error(`plasma: ${(err as Error).message}`);
  process.exit(1);
}
